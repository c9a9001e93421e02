<?xml version="1.0" encoding="UTF-8"?>
<!--
  CSL-JSON: an array of one item, valid against the CSL data schema (no unknown keys).
  Letters personal_communication (with recipient), the newspaper article article-newspaper
  (the edition as collection-title / collection-editor), other documents document, the
  edition book. Documents have the edition as container-title with its editors.
  Extras (original language, licence) go in note and custom.
  The engine sets the serialisation property !escape-solidus=no, so URLs keep their "/".
  Params: base-url, context (see common/metadata.xsl).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <xsl:import href="common/functions.xsl"/>
  <xsl:import href="common/metadata.xsl"/>

  <xsl:output method="json" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/">
    <xsl:variable name="r" select="te:record((tei:TEI, tei:teiCorpus/tei:TEI, //tei:TEI)[1])"/>
    <xsl:variable name="type" select="map{'letter':'personal_communication', 'article-newspaper':'article-newspaper',
      'document':'document', 'edition':'book'}($r/@type)"/>
    <xsl:variable name="newspaper" select="$r/@type = 'article-newspaper'"/>
    <xsl:variable name="notes" select="($r/te:original-language ! ('original-language: ' || @code),
      $r/te:licence ! ('license: ' || (@target[normalize-space()], .)[1]))"/>
    <xsl:variable name="entries" as="map(*)*">
      <xsl:sequence select="map{'id': string($r/@key), 'type': $type, 'title': string($r/te:title)}"/>
      <xsl:sequence select="te:names-entry('author', $r/te:author)"/>
      <xsl:sequence select="te:names-entry('recipient', $r/te:recipient)"/>
      <xsl:sequence select="te:names-entry(if ($newspaper) then 'collection-editor' else 'editor', $r/te:editor)"/>
      <xsl:sequence select="te:string-entry('container-title', if ($newspaper) then $r/te:periodical else $r/te:container)"/>
      <xsl:sequence select="te:string-entry('collection-title', $r/te:container[$newspaper])"/>
      <xsl:sequence select="te:string-entry('publisher', $r/te:publisher)"/>
      <xsl:sequence select="te:string-entry('event-place', $r/te:place[$r/@type != 'edition'])"/>
      <xsl:sequence select="te:date-entry('issued', $r/te:date/@iso)"/>
      <xsl:sequence select="te:string-entry('version', $r/te:version)"/>
      <xsl:sequence select="te:string-entry('URL', $r/te:url)"/>
      <xsl:sequence select="te:string-entry('language', $r/te:language/@code)"/>
      <xsl:sequence select="te:string-entry('genre', if ($r/@type = 'letter') then 'Letter' else ())"/>
      <xsl:sequence select="if (exists($notes)) then map{'note': string-join($notes, '&#10;')} else ()"/>
      <xsl:if test="$r/te:original-language or $r/te:licence">
        <xsl:sequence select="map{'custom': map:merge((
          $r/te:original-language ! map{'original-language': string(@code)},
          $r/te:licence ! map{'license': string((@target[normalize-space()], .)[1])}))}"
          xmlns:map="http://www.w3.org/2005/xpath-functions/map"/>
      </xsl:if>
    </xsl:variable>
    <xsl:sequence select="array{ map:merge($entries) }" xmlns:map="http://www.w3.org/2005/xpath-functions/map"/>
  </xsl:template>

  <xsl:function name="te:string-entry" as="map(*)?">
    <xsl:param name="key" as="xs:string"/>
    <xsl:param name="value" as="xs:string?"/>
    <xsl:sequence select="if (normalize-space($value) = '') then () else map{$key: normalize-space($value)}"/>
  </xsl:function>

  <xsl:function name="te:names-entry" as="map(*)?">
    <xsl:param name="key" as="xs:string"/>
    <xsl:param name="names" as="element()*"/>
    <xsl:sequence select="if (empty($names)) then () else map{$key: array{
      for $n in $names return
        if ($n/@literal) then map{'literal': string($n/@literal)}
        else map:merge((map{'family': string($n/@family)},
                        $n/@given[normalize-space()] ! map{'given': string(.)},
                        $n/@particle[normalize-space()] ! map{'non-dropping-particle': string(.)},
                        $n/@order[. = 'family-first'] ! map{'static-ordering': true()}))}}"
      xmlns:map="http://www.w3.org/2005/xpath-functions/map"/>
  </xsl:function>

  <xsl:function name="te:date-entry" as="map(*)?">
    <xsl:param name="key" as="xs:string"/>
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="d" select="te:date-parts($iso)"/>
    <xsl:sequence select="if (empty($d)) then () else map{$key: map{'date-parts': array{ array{ $d } }}}"/>
  </xsl:function>

</xsl:stylesheet>
